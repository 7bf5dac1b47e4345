"""workflowcore cli."""
