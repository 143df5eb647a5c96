"""Sales documents: quote → order → delivery note → invoice → credit note, and payments."""
