"""What CAPF does for each ephone, and the LSCs the IOS CA issues for it."""
