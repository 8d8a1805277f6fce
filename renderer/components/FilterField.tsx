/**
 * One labelled text box of a filter bar (the timeline's, the exposure's). It starts as wide as its
 * example (a fixed width cut '2026-05-01T10:00Z' and the addresses at 1280 px while 'app id' had room to
 * spare); the bar's spare width is shared out.
 */
export function FilterField(props: { name: string; label: string; placeholder: string; hint: string; value: string; invalid?: boolean; onChange: (value: string) => void }) {
  return (
    <label className="filter" style={{ flexBasis: `calc(${props.placeholder.length}ch + 14px)` }}>
      <span>{props.label}</span>
      <input
        name={props.name}
        value={props.value}
        placeholder={props.placeholder}
        title={props.hint}
        aria-description={props.hint}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={props.invalid === true}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </label>
  );
}
