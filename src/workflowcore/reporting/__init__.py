"""workflowcore reporting."""
