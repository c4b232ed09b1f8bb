export function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No such page. <a href="/runs">Back to the runs</a>.
      </p>
    </section>
  );
}
