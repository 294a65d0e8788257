"""What every stage stands on: params, errors, file outputs, DuckDB, the repository, MLflow tracking and registry."""
