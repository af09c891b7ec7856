"""The API's exports become the pages' export jobs (generations.ExportJob, issue 17: "the API can use the same
job"). Jobs the API made before keep their zip, state and times there; then the API's own table goes."""
from django.db import migrations


def move_jobs(apps, schema_editor):
    Old = apps.get_model("api", "ExportJob")
    New = apps.get_model("generations", "ExportJob")
    for old in Old.objects.all().iterator():
        new = New.objects.create(project_id=old.project_id, team_id=old.team_id, created_by_id=old.created_by_id,
                                 client_approved_only=old.client_approved_only, state=old.status, total=old.files,
                                 done=old.files, file=old.file.name, error_message=old.message,
                                 started_at=old.created_at, finished_at=old.finished_at)
        New.objects.filter(pk=new.pk).update(created_at=old.created_at)  # auto_now_add set it to now


class Migration(migrations.Migration):

    dependencies = [
        ("api", "0001_initial"),
        ("generations", "0011_one_export_job"),
    ]

    operations = [
        migrations.RunPython(move_jobs, migrations.RunPython.noop),
        migrations.DeleteModel(name="ExportJob"),
    ]
