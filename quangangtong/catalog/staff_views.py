"""Staff pages for the 事项清单: export to Excel and import back (hall managers only)."""

from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from quangangtong.accounts.roles import Role, role_required
from quangangtong.catalog.models import CatalogImport, Department, Material, ModeTag, ServiceItem
from quangangtong.catalog.spreadsheet import CatalogImportError, catalog_export_bytes, catalog_import

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_FIELD = "file"


def _render_manage(request, *, errors=(), upload_error="", status=200):
    """Render the import/export page, with an import's errors when there are any."""
    context = {
        "counts": {
            "departments": Department.objects.count(),
            "modes": ModeTag.objects.count(),
            "items": ServiceItem.objects.count(),
            "materials": Material.objects.count(),
        },
        "errors": errors,
        "upload_error": upload_error,
        "imports": CatalogImport.objects.select_related("imported_by")[:10],
        "upload_field": UPLOAD_FIELD,
        "max_upload_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "catalog/staff_catalog.html", context, status=status)


@role_required(Role.HALL_MANAGER)
def catalog_manage(request):
    """Show the catalogue export link, the import form and the last import's outcome."""
    return _render_manage(request)


@role_required(Role.HALL_MANAGER)
def catalog_export(request):
    """Send the whole catalogue as an .xlsx attachment."""
    filename = f"事项清单-{timezone.localdate():%Y%m%d}.xlsx"
    ascii_name = f"catalog-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(catalog_export_bytes(), content_type=XLSX_CONTENT_TYPE)
    # filename* (RFC 5987) carries the Chinese name; the plain filename is for very old clients.
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response


@role_required(Role.HALL_MANAGER)
@require_POST
def catalog_import_view(request):
    """Import an uploaded catalogue workbook; on any error show every one and change nothing."""
    upload = request.FILES.get(UPLOAD_FIELD)
    problem = _upload_problem(upload)
    if problem:
        return _render_manage(request, upload_error=f"上传文件：{problem}", status=400)
    data = upload.read()
    if not data.startswith(b"PK\x03\x04"):
        problem = "文件内容不是 .xlsx 工作簿，请在 Excel 或 WPS 中另存为 Excel 工作簿（*.xlsx）后再上传。"
        return _render_manage(request, upload_error=f"上传文件：{problem}", status=400)
    try:
        report = catalog_import(data=data, user=request.user, file_name=upload.name)
    except CatalogImportError as exc:
        return _render_manage(request, errors=exc.errors, status=400)
    if report.changed:
        messages.success(request, f"导入完成。{report.summary()}。")
    else:
        messages.success(request, f"导入完成，数据没有变化。{report.summary()}。")
    return redirect("staff-catalog")


def _upload_problem(upload):
    """Return what is wrong with the uploaded file, or "" if it may be a workbook."""
    if upload is None:
        return "请选择要导入的 .xlsx 文件。"
    if not upload.name.lower().endswith(".xlsx"):
        return f"只能导入 .xlsx 格式的 Excel 工作簿，“{upload.name}”不是。.xls 或 .csv 文件请先另存为 .xlsx。"
    if upload.size > MAX_UPLOAD_BYTES:
        return f"文件过大（超过{MAX_UPLOAD_BYTES // (1024 * 1024)} MB），请删除多余的工作表或空行后再上传。"
    if upload.size == 0:
        return "文件是空的，请重新选择。"
    return ""
