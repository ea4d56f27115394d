"""Code that runs next to student code: it imports only the standard library, numpy and itself."""
