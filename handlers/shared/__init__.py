"""What every feature shares: the input router, typed buttons, command menus, rendering."""
