"""workflowcore: read, check, plan and run CircleCI-style workflow configs."""

__version__ = "0.1.0"
