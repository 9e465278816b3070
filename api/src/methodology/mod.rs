//! The Index's arithmetic, pure and exact: entered scores, composites from unrounded means,
//! half-up rounding at the edge, changes between editions and competition ranks.
//! No I/O here: the repository and the importers both lean on it.
mod aggregate;
mod derive;
mod exact;
mod figures;
mod rank;

pub use aggregate::{aggregate, mean, sqrt_half_up, Aggregate};
pub use derive::{derive, derive_edition, ChangeRow, Derived, EditionInput, FigureRow, Member};
pub use exact::{round_half_up, Exact, HalfStep, ScoreError};
pub use figures::{affected, evaluate, Node};
pub use rank::competition_ranks;
