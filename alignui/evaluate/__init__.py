"""Win-rate evaluation: both models answer a prompt set, a judge decides, the report is kept."""
