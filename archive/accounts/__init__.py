"""Accounts: creating and changing them, logging in, throttling failed logins."""
