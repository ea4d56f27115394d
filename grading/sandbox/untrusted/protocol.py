"""The sandbox protocol, written down once: every message, who sends it, and what answers it.

Two kinds of channel carry framed messages (wire.py): the *control* socket
between a grader process and its zygote, and one *session* socket between
the grader and each worker. Every message is a dict whose "op" is one of
the names below; both sides use these constants, never string literals.

control socket (grader -> zygote, each request answered before the next):
    FORK    {"package": id, "uid": int|None, "limits": {...}, "others": int}
            -> 8 bytes (the worker's pid in the zygote's namespace) with the
               grader's end of the worker's session socket as SCM_RIGHTS
    KILL    {"pid": p}  -> KILLED {"cpu", "waited"}: SIGKILL to the worker, pid 1 of its
            own PID namespace, so to everything it started; first its threads' seconds
            on a CPU and runnable but waiting for one (/proc/<pid>/task/*/schedstat)
    STATUS  {"pid": p}  -> STATUS_IS {"status": wait status|None, "cpu": seconds}
            once the worker has ended (its CPU time, children it waited for included)
    HELLO   (zygote -> grader, once, unasked) {"isolation": {...}}: it is up

session socket:
    worker -> grader  ISOLATED  {"info": {...}}           first message, before any student code
    grader -> worker  START     {"module", "function", "substitute": [[module, name], ...]}
    worker -> grader  READY     {"parameters": [...]}     the module imported
    grader -> worker  CALL      {"args", "kwargs", "np_random"}
    worker -> grader  CALLBACK  {"target", "args", "kwargs", "objects"} (any number, during a call)
    grader -> worker  RETURN    {"value", "args", "objects"} | RAISE {"type", "message"}
    worker -> grader  RESULT    {"value", "args", "kwargs", "kwarg_names", "objects", "np_random"}
                      | EXCEPTION {"type", "message", "where"} (START or CALL failed)
    grader -> worker  EXIT      the worker ends, and its PID namespace with it
"""
# control socket
FORK = "fork"
KILL = "kill"
KILLED = "killed"
STATUS = "status"
STATUS_IS = "status_is"
HELLO = "hello"

# session socket
ISOLATED = "isolated"
START = "start"
READY = "ready"
CALL = "call"
CALLBACK = "callback"
RETURN = "return"
RAISE = "raise"
RESULT = "result"
EXCEPTION = "exception"
EXIT = "exit"

# a worker that reaches its CPU limit (SIGXCPU) exits with this status
CPU_LIMIT_STATUS = 128 + 24

# where things are inside the sandbox (bubblewrap binds them there)
CODE_DIR = "/sandbox/code"          # this folder, read-only
SITE_DIR = "/sandbox/site"          # numpy (and its vendored libraries), read-only
INBOX_DIR = "/sandbox/inbox"        # the zygote's packages; a worker keeps only its own
PACKAGE_DIR = "/sandbox/package"    # a worker's package, read-only
