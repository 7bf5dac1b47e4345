"""workflowcore runtime."""
