//! The data layer: canonical MSP tables loaded from CSV or JSON Lines into typed columns.
