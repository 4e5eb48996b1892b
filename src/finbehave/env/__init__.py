"""The FinQA SQL environment: per-company DuckDB files, the hostile-query sandbox, the tools."""
