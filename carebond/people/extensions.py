"""What the people app adds to core's registry: the person relations a merge moves, the links
it leaves, and its navigation entries."""

from __future__ import annotations

from carebond.core.kpis import KpiDimension
from carebond.core.permissions import PHI_READERS
from carebond.core.registry import (
    AuditNames,
    HomePanel,
    NavEntry,
    PersonLinkExemption,
    PersonRelation,
    exempt_person_link,
    register_audit_names,
    register_home_panel,
    register_kpi_dimension,
    register_navigation,
    register_person_relation,
)
from carebond.people.access import LIAISONS, RECORD_KEEPERS
from carebond.people.kpi_selectors import age_band_names, language_names
from carebond.people.panels import my_referral_sources_panel
from carebond.people.selectors import find_patients_for_audit, person_names


def register() -> None:
    for dimension in (
        KpiDimension("provider", "Provider", person_names, "people"),
        KpiDimension("staff", "Staff member", person_names, "people"),
        KpiDimension("language", "Language", language_names, "people"),
        KpiDimension("age_band", "Age band", age_band_names, "people"),
    ):
        register_kpi_dimension(dimension)
    register_navigation(NavEntry("People", "people:search", PHI_READERS, order=10))
    register_audit_names(AuditNames("people.person", person_names, find_patients_for_audit))
    register_navigation(NavEntry("Duplicates", "people:duplicates", RECORD_KEEPERS, order=20))
    register_home_panel(
        HomePanel(
            key="people.my_referral_sources",
            title="Your referral sources",
            template="people/panels/my_referral_sources.html",
            policy=LIAISONS,
            context=my_referral_sources_panel,
            order=15,
        )
    )
    from carebond.people.models import (
        Address,
        CareTeamMember,
        ConsentRecord,
        ContactPoint,
        DistinctPair,
        HistoryItem,
        Identifier,
        MergeRecord,
        Person,
        PersonalNote,
        ReferralSourceProfile,
        Relationship,
        SearchTerm,
        StaffProfile,
    )

    for model in (ConsentRecord, ContactPoint, Identifier, Address, HistoryItem, PersonalNote):
        register_person_relation(PersonRelation(model, "person"))
    register_person_relation(
        PersonRelation(Relationship, "patient", other_person="related", unique_with=("related",))
    )
    register_person_relation(
        PersonRelation(Relationship, "related", other_person="patient", unique_with=("patient",))
    )
    register_person_relation(
        PersonRelation(
            CareTeamMember, "patient", other_person="staff", unique_with=("staff", "role")
        )
    )
    register_person_relation(
        PersonRelation(
            CareTeamMember, "staff", other_person="patient", unique_with=("patient", "role")
        )
    )
    register_person_relation(PersonRelation(StaffProfile, "person", one_per_person=True))
    register_person_relation(PersonRelation(ReferralSourceProfile, "person", one_per_person=True))

    exempt_person_link(
        PersonLinkExemption(Person, "merged_into", "the merge's own pointer to the survivor")
    )
    exempt_person_link(
        PersonLinkExemption(MergeRecord, "survivor", "the record of the merge, kept as it was")
    )
    exempt_person_link(
        PersonLinkExemption(MergeRecord, "merged", "the record of the merge, kept as it was")
    )
    exempt_person_link(
        PersonLinkExemption(
            SearchTerm, "person", "rebuilt for both records by index_person after the move"
        )
    )
    for side in ("first", "second"):
        exempt_person_link(
            PersonLinkExemption(
                DistinctPair, side, "a decision about two records, kept as it was made"
            )
        )
