"""The orchestrating supervisor: one executor child per trigger type (see supervise())."""
