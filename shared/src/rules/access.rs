//! Who reads which record, as data: the roles that read every record.
//!
//! Everyone else reads a record by being named in it or by their unit (see the server's
//! `access` module, which applies this table in Rust and passes it to SQL as one boolean, so
//! the role set is written once).

use super::Role;

/// Roles whose holders read every record: 系统管理员 manages the system, 领导 oversees all
/// work, 督办员 assigns and follows up all 督办事项 (DOMAIN.md, "Roles").
pub const READS_EVERYTHING: &[Role] = &[Role::Admin, Role::Leader, Role::Supervisor];

/// Whether someone holding `roles` reads every record.
pub fn reads_everything(roles: &[Role]) -> bool {
    roles.iter().any(|role| READS_EVERYTHING.contains(role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_overseeing_roles_read_everything() {
        assert!(reads_everything(&[Role::Viewer, Role::Leader]));
        assert!(reads_everything(&[Role::Admin]));
        assert!(reads_everything(&[Role::Supervisor]));
        assert!(!reads_everything(&[
            Role::Handler,
            Role::Researcher,
            Role::Viewer
        ]));
        assert!(!reads_everything(&[]));
    }
}
