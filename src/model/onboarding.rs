//! Onboarding: placeholder state until this domain's issue fills it.

/// What the cockpit knows about onboarding.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OnboardingState {}
