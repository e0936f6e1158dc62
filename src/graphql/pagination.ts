// The pagination helpers live in src/shared/ (services use them); re-exported for the GraphQL layer.
export * from '../shared/pagination';
