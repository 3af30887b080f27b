from django.shortcuts import render

from quangangtong.accounts.roles import role_required, user_roles


@role_required()
def staff_home(request):
    """Show a staff member the parts of the hall their roles may use."""
    return render(request, "accounts/staff_home.html", {"roles": sorted(user_roles(request.user))})
