"""The tenant's message templates (issue 18): any role reads them, an admin writes them;
and what a job merges into them, for a dialog's preview."""

import uuid
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from jobline_jobs.domain import commands, templates
from jobline_jobs.domain.templates import UnknownMergeField
from jobline_jobs.entrypoints.api.commanding import actor, execute, now
from jobline_jobs.entrypoints.api.deps import AdminDep, ApiRuntime, PrincipalDep, RuntimeDep
from jobline_jobs.entrypoints.api.errors import ApiError, not_found, responses
from jobline_jobs.entrypoints.api.schemas import OneLine, Text
from jobline_jobs.entrypoints.api.wording import unknown_fields
from jobline_jobs.service_layer.queries import Principal
from jobline_jobs.service_layer.send_later_handlers import UnknownTemplate

router = APIRouter(tags=["templates"])
PATH = "/v1/tenant/templates"
Channel = Literal["sms", "email"]


class TemplateBody(BaseModel):
    """A template: ``{customer_first_name}`` and the other merge fields are merged with a
    job's values when a message is written from it."""

    model_config = ConfigDict(extra="forbid")

    name: OneLine = Field(min_length=1, max_length=templates.NAME_LIMIT)
    channel: Channel
    subject: OneLine | None = Field(default=None, max_length=templates.SUBJECT_LIMIT)
    body: Text = Field(min_length=1, max_length=templates.BODY_LIMITS["email"])


class TemplateView(BaseModel):
    id: UUID
    name: str
    channel: Channel
    subject: str | None
    body: str
    fields: list[str] = Field(description="The merge fields it uses, in order")
    updated_at: datetime
    updated_by: str


class TemplateList(BaseModel):
    items: list[TemplateView]
    merge_fields: dict[str, str] = Field(description="Each merge field and what it holds")


class MergeFields(BaseModel):
    values: dict[str, str | None] = Field(description="The job's value of each field (None: none)")
    labels: dict[str, str]


def _view(t: templates.Template) -> TemplateView:
    return TemplateView(
        id=t.template_id,
        name=t.name,
        channel=t.channel,  # type: ignore[arg-type]
        subject=t.subject,
        body=t.body,
        fields=templates.named_fields(f"{t.subject or ''}\n{t.body}"),
        updated_at=t.updated_at,
        updated_by=t.updated_by,
    )


async def _run(rt: ApiRuntime, who: Principal, command: commands.Command) -> None:
    try:
        await execute(rt, who, command)
    except ApiError as refusal:
        cause = refusal.__cause__
        if isinstance(cause, UnknownMergeField):
            raise unknown_fields(cause) from cause
        if isinstance(cause, UnknownTemplate):
            raise not_found("template") from cause
        raise


async def _save(
    rt: ApiRuntime, who: Principal, template_id: UUID, body: TemplateBody
) -> TemplateView:
    command = templates.SaveTemplate(
        who.tenant_id, now(), template_id, body.name, body.channel, body.subject, body.body,
        by=actor(who),
    )  # fmt: skip
    await _run(rt, who, command)
    found = await rt.communications.template(who.tenant_id, template_id)
    if found is None:
        raise not_found("template")
    return _view(found)


@router.get(PATH, response_model=TemplateList, responses=responses(401, 422))
async def list_templates(
    who: PrincipalDep, rt: RuntimeDep, channel: Annotated[Channel | None, Query()] = None
) -> TemplateList:
    """The tenant's templates (any role), by channel and name, with the merge fields."""
    found = await rt.communications.templates(who.tenant_id, channel)
    return TemplateList(items=[_view(t) for t in found], merge_fields=templates.FIELD_LABELS)


@router.post(
    PATH, response_model=TemplateView, status_code=201, responses=responses(401, 403, 409, 422)
)
async def create_template(body: TemplateBody, who: AdminDep, rt: RuntimeDep) -> TemplateView:
    """A new template (admin only); 422 ``unknown_merge_field`` names fields there are not."""
    return await _save(rt, who, uuid.uuid4(), body)


@router.get(
    f"{PATH}/{{template_id}}", response_model=TemplateView, responses=responses(401, 404, 422)
)
async def get_template(template_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> TemplateView:
    found = await rt.communications.template(who.tenant_id, template_id)
    if found is None:
        raise not_found("template")
    return _view(found)


@router.put(
    f"{PATH}/{{template_id}}",
    response_model=TemplateView,
    responses=responses(401, 403, 404, 409, 422),
)
async def replace_template(
    template_id: UUID, body: TemplateBody, who: AdminDep, rt: RuntimeDep
) -> TemplateView:
    """Change a template (admin only), all of it."""
    if await rt.communications.template(who.tenant_id, template_id) is None:
        raise not_found("template")
    return await _save(rt, who, template_id, body)


@router.delete(f"{PATH}/{{template_id}}", status_code=204, responses=responses(401, 403, 404, 422))
async def delete_template(template_id: UUID, who: AdminDep, rt: RuntimeDep) -> Response:
    await _run(rt, who, templates.DeleteTemplate(who.tenant_id, now(), template_id))
    return Response(status_code=204)


@router.get(
    "/v1/jobs/{job_id}/merge-fields", response_model=MergeFields, responses=responses(401, 404, 422)
)
async def merge_fields(job_id: UUID, who: PrincipalDep, rt: RuntimeDep) -> MergeFields:
    """The job's value of each merge field, as a message written for it would merge them."""
    values = await rt.communications.merge_values(who.tenant_id, job_id)
    if values is None:
        raise not_found("job")
    return MergeFields(values=vars(values), labels=templates.FIELD_LABELS)
