"""What a teacher may see: their classrooms, the firms and trainees in them (404 otherwise)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import or_, select

from crm.core.models import Classroom, Firm, Membership, Role, User
from crm.core.tenancy import accessible_firms, teacher_classrooms
from crm.extensions import db


def classroom_or_404(classroom_id: int) -> Classroom:
    classroom = db.session.scalar(
        teacher_classrooms(current_user).where(Classroom.id == classroom_id)
    )
    if classroom is None:
        abort(404)
    return classroom


def firm_or_404(firm_id: int) -> Firm:
    firm = db.session.scalar(accessible_firms(current_user).where(Firm.id == firm_id))
    if firm is None:
        abort(404)
    return firm


def membership_or_404(membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        abort(404)
    firm_or_404(membership.firm_id)
    return membership


def managed_user_or_404(user_id: int) -> User:
    """A trainee of one of my classrooms or firms; for an admin, also any teacher."""
    user = db.session.get(User, user_id)
    if user is None or user.id == current_user.id:
        abort(404)
    if current_user.is_admin and user.role != Role.ADMIN.value:
        return user
    if not user.is_trainee:
        abort(404)
    classroom_ids = select(Classroom.id).where(
        Classroom.id.in_(teacher_classrooms(current_user).with_only_columns(Classroom.id))
    )
    firm_ids = accessible_firms(current_user).with_only_columns(Firm.id)
    managed = db.session.scalar(
        select(User.id).where(
            User.id == user.id,
            or_(
                User.classroom_id.in_(classroom_ids),
                User.id.in_(select(Membership.user_id).where(Membership.firm_id.in_(firm_ids))),
            ),
        )
    )
    if managed is None:
        abort(404)
    return user
