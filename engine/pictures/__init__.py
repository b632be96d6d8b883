"""Pictures in and out: reading, converting, exporting, and the settings kept inside a picture."""
