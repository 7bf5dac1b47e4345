"""workflowcore planning."""
