"""workflowcore config."""
