"""What a send asks done to its words before the rules see them (issue 18): the job's
values merged into its merge fields, typographic punctuation in its GSM-7 form."""

from uuid import UUID

from jobline_jobs.domain.plain_punctuation import plain_punctuation
from jobline_jobs.domain.templates import UnknownMergeField, merge
from jobline_jobs.entrypoints.api.deps import ApiRuntime
from jobline_jobs.entrypoints.api.errors import ApiError, not_found
from jobline_jobs.service_layer.queries import Principal


def unknown_fields(refusal: UnknownMergeField) -> ApiError:
    """422 naming each unknown field (``details.unknown_fields``)."""
    return ApiError(422, refusal.kind, refusal.reason, {"unknown_fields": refusal.names})


async def worded(
    rt: ApiRuntime,
    who: Principal,
    job_id: UUID,
    texts: tuple[str, str | None],
    *,
    merge_fields: bool,
    plain: bool,
) -> tuple[str, str | None]:
    """``texts`` (body, subject) merged, then made plain, as asked: in that order, so a
    merged value (a business name with a curly apostrophe) is made plain too."""
    body, subject = texts
    if merge_fields:
        values = await rt.communications.merge_values(who.tenant_id, job_id)
        if values is None:
            raise not_found("job")
        try:
            body = merge(body, values).text
            subject = None if subject is None else merge(subject, values).text
        except UnknownMergeField as refusal:
            raise unknown_fields(refusal) from refusal
    if plain:
        body = plain_punctuation(body)
        subject = None if subject is None else plain_punctuation(subject)
    return body, subject
