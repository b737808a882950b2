"""People: accounts and roles, who is acting, login limits, and agreement between raters."""
