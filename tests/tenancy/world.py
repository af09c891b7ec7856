"""Two teams: A owns one of everything; B is a full admin of its own team and must see none of A's."""
from dataclasses import dataclass

from catalog.models import ZipImport
from generations import models as gm
from tests import factories as f

MARKER = "TEAM-A-PRIVATE"


@dataclass
class World:
    team_a: object
    team_b: object
    user_a: object
    user_b: object
    program: object
    project: object
    sku: object
    garment: object
    fashion_model: object
    model_image: object
    style: object
    pose: object
    account: object
    batch: object
    task: object
    output: object
    review_event: object
    credit_entry: object
    webhook_event: object
    zip_import: object


def build_world() -> World:
    from studio.models import Role

    member_a = f.MembershipFactory(role=Role.ADMIN, team__name=f"{MARKER} team")
    member_b = f.MembershipFactory(role=Role.ADMIN)
    team_a = member_a.team
    program = f.ProgramFactory(team=team_a, name=f"{MARKER} program")
    project = f.ProjectFactory(program=program, name=f"{MARKER} project")
    sku = f.SKUFactory(project=project, code=f"{MARKER}-SKU", name=MARKER)
    garment = f.GarmentImageFactory(sku=sku, original_name=f"{MARKER}.png")
    style = f.StyleFactory(program=program, name=f"{MARKER} style")
    fashion_model = f.FashionModelFactory(program=program, name=f"{MARKER} model")
    model_image = f.ModelImageFactory(fashion_model=fashion_model, style=style)
    pose = f.PoseFactory(program=program, name=f"{MARKER} pose")
    account = f.VendorAccountFactory(team=team_a, name=f"{MARKER} account")
    batch = f.BatchFactory(project=project, label=MARKER)
    task = f.TaskFactory(sku=sku, team=team_a, account=account, batch=batch, model_image=model_image, pose=pose,
                         prompt=MARKER)
    output = f.TaskOutputFactory(task=task)
    review_event = gm.ReviewEvent.objects.create(task=task, output=output, actor=member_a.user,
                                                 stage=gm.ReviewStage.REVIEW, decision=gm.Decision.REJECTED,
                                                 comment=MARKER)
    credit_entry = gm.CreditEntry.objects.create(team=team_a, account=account, task=task,
                                                 kind=gm.CreditKind.ESTIMATE, credits=1, note=MARKER)
    webhook_event = gm.WebhookEvent.objects.create(account=account, vendor=account.vendor, event_id=MARKER,
                                                   task=task, payload={"m": MARKER})
    zip_import = ZipImport.objects.create(project=project, archive="imports/x.zip", original_name=f"{MARKER}.zip",
                                          report=[{"name": MARKER, "sku": MARKER, "outcome": "accepted", "reason": ""}])
    from studio import audit

    audit.record(team_a, member_a.user, audit.AuditAction.ROLE_CHANGED, MARKER, ip="192.0.2.1", note=MARKER)
    return World(team_a, member_b.team, member_a.user, member_b.user, program, project, sku, garment,
                 fashion_model, model_image, style, pose, account, batch, task, output, review_event, credit_entry,
                 webhook_event, zip_import)
