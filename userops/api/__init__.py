"""HTTP service for operators and approvers: FastAPI app, routes, auth, metrics."""
