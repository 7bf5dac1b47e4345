"""workflowcore config/checks."""
