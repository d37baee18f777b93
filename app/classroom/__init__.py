"""A classroom on one server: accounts (teachers and students), who sees whose runs,
classes joined by invite code, assignments marked by the lessons' own claims, a
teacher's dashboard, and lesson progress kept per user. With no account made, the
server is single-user and none of this applies."""
