"""The pipeline's pure stages: parse -> topics -> score -> aggregate -> alert."""
