"""autokit: a Git monorepo of reviewed, versioned business automations."""

__version__ = "0.1.0"
