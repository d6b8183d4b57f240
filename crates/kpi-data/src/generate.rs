//! A deterministic synthetic MSP dataset.
