"""workflowcore expr."""
