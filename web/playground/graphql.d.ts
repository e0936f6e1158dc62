/** GraphQL documents, bundled as text by esbuild (loader ".graphql": "text"). */
declare module '*.graphql' {
  const source: string;
  export default source;
}
