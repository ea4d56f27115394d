"""Sandbox: the host side of the workers that run student code; untrusted/ is the inside."""
