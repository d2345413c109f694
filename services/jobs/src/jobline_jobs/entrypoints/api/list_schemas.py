"""The Jobs list's answers beside its pages: a filtered count and the technicians."""

from pydantic import BaseModel, Field

from jobline_jobs.entrypoints.api.schemas import Party


class JobCount(BaseModel):
    count: int = Field(description="Jobs matching, counted up to 10,000")
    more: bool = Field(description="True: more than `count` match")


class TechnicianList(BaseModel):
    items: list[Party]
