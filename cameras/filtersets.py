"""FilterSets for cameras: one per model, serving both the HTML list and the API."""
