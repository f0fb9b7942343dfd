"""The read side: runs and their recipients, reports with their totals and charts, and
their CSV exports. No models: it reads the engine's Attempt and Delivery rows."""
