"""finsentry's stream processor: records, stages, the faust app and the CLI."""
