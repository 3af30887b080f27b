from django.db.models import Q
from django.shortcuts import render

from quangangtong.accounts.roles import role_required, user_roles
from quangangtong.hall.models import Site, WindowSession


def _sites_for(user):
    """Return the sites the user works at: where they are signed in now, else where they are certified, else all."""
    session = WindowSession.objects.filter(officer=user, signed_out_at=None).select_related("window__site").first()
    if session is not None:
        return [session.window.site]
    certified = list(
        Site.objects.filter(
            Q(ticket_categories__skills__officer=user) | Q(ticket_categories__items__skills__officer=user)
        ).distinct()
    )
    # Hall managers, guides and supervisors are tied to no site: a city has many halls, each listed.
    return certified or list(Site.objects.all())


@role_required()
def staff_home(request):
    """Show a staff member the parts of the hall their roles may use."""
    context = {"roles": sorted(user_roles(request.user)), "sites": _sites_for(request.user)}
    return render(request, "accounts/staff_home.html", context)
