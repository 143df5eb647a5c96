"""Training side: the référentiel catalogue, the activity journal, assessment."""
