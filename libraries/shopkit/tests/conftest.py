from shopkit.testing import closed, smtp_login_server, smtp_server  # noqa: F401
