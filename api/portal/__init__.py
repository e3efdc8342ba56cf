"""The web portal: pages for agency members and their clients' viewers, served by the same application."""
