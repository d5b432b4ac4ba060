// Line icons (24×24, stroke), drawn for the console.

// A shape of an icon: a path (its d), a circle or a rounded rectangle.
type Shape = string | { circle: [cx: number, cy: number, r: number] } | { rect: [x: number, y: number, width: number, height: number, rx: number] };

const circle = (cx: number, cy: number, r: number): Shape => ({ circle: [cx, cy, r] });
const rect = (x: number, y: number, width: number, height: number, rx: number): Shape => ({ rect: [x, y, width, height, rx] });

const shapes = {
  apps: [rect(3.5, 3.5, 7, 7, 1.5), rect(13.5, 3.5, 7, 7, 1.5), rect(3.5, 13.5, 7, 7, 1.5), rect(13.5, 13.5, 7, 7, 1.5)],
  resource: ['M4 7c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3Z', 'M4 7v5c0 1.7 3.6 3 8 3s8-1.3 8-3V7', 'M4 12v5c0 1.7 3.6 3 8 3s8-1.3 8-3v-5'],
  role: ['M12 3 4.5 6v5.5c0 4.6 3.2 8.2 7.5 9.5 4.3-1.3 7.5-4.9 7.5-9.5V6L12 3Z', 'm9 12 2 2 4-4'],
  users: [circle(9, 8, 3.5), 'M2.5 20c.6-3.6 3.2-5.5 6.5-5.5s5.9 1.9 6.5 5.5', 'M15.5 4.8a3.5 3.5 0 0 1 0 6.4M18 14.8c2 .7 3.2 2.4 3.5 5.2'],
  code: ['m8 7-5 5 5 5M16 7l5 5-5 5M13.5 4.5l-3 15'],
  key: [circle(8, 15, 4.5), 'm11.2 11.8 8.3-8.3M16.5 6.5l2.5 2.5M14 9l2 2'],
  logs: ['M6 3.5h9l4 4V20a.5.5 0 0 1-.5.5h-12A.5.5 0 0 1 6 20V3.5Z', 'M15 3.5V8h4M9 12h7M9 15.5h7M9 8.5h3'],
  plus: ['M12 5v14M5 12h14'],
  search: [circle(11, 11, 6.5), 'm16 16 4.5 4.5'],
  copy: [rect(8.5, 8.5, 11, 11, 2), 'M15.5 8.5V6a1.5 1.5 0 0 0-1.5-1.5H6A1.5 1.5 0 0 0 4.5 6v8A1.5 1.5 0 0 0 6 15.5h2.5'],
  check: ['m5 12.5 4.5 4.5L19 7.5'],
  close: ['M6 6l12 12M18 6 6 18'],
  trash: ['M4.5 7h15M10 11v6M14 11v6M6.5 7l.8 12.1a1.5 1.5 0 0 0 1.5 1.4h6.4a1.5 1.5 0 0 0 1.5-1.4L17.5 7', 'M9 7V4.5h6V7'],
  chevronRight: ['m9 6 6 6-6 6'],
  chevronLeft: ['m15 6-6 6 6 6'],
  chevronDown: ['m6 9 6 6 6-6'],
  play: ['M8 5.5v13l10-6.5-10-6.5Z'],
  eye: ['M2.5 12S6 5.5 12 5.5 21.5 12 21.5 12 18 18.5 12 18.5 2.5 12 2.5 12Z', circle(12, 12, 3)],
  eyeOff: ['M4 4l16 16M10.6 6.1c.5-.1.9-.1 1.4-.1 6 0 9.5 6 9.5 6a17 17 0 0 1-2.7 3.4M6.6 7.4C4 9.1 2.5 12 2.5 12S6 18.5 12 18.5c1.9 0 3.5-.6 4.9-1.5', 'M9.9 10a3 3 0 0 0 4.1 4.1'],
  refresh: ['M19.5 12a7.5 7.5 0 1 1-2.2-5.3', 'M19.5 4.5v4h-4'],
  menu: ['M4 7h16M4 12h16M4 17h16'],
  signOut: ['M14 4.5H6A1.5 1.5 0 0 0 4.5 6v12A1.5 1.5 0 0 0 6 19.5h8', 'M10 12h10m-3.5-3.5L20 12l-3.5 3.5'],
  info: [circle(12, 12, 8.5), 'M12 11v5.5M12 7.6v.2'],
  warning: ['M12 4 2.8 19.5h18.4L12 4Z', 'M12 10v4.5M12 17v.2'],
  lock: [rect(5, 10.5, 14, 10, 2), 'M8 10.5V8a4 4 0 0 1 8 0v2.5'],
  edit: ['M4.5 19.5h4l10.2-10.2a2 2 0 0 0 0-2.8l-1.2-1.2a2 2 0 0 0-2.8 0L4.5 15.5v4ZM13.5 6.5l4 4'],
  globe: [circle(12, 12, 8.5), 'M3.5 12h17M12 3.5c2.3 2.4 3.5 5.2 3.5 8.5s-1.2 6.1-3.5 8.5c-2.3-2.4-3.5-5.2-3.5-8.5S9.7 5.9 12 3.5Z'],
  server: [rect(4, 4.5, 16, 6, 1.5), rect(4, 13.5, 16, 6, 1.5), 'M7.5 7.5h.1M7.5 16.5h.1'],
  phone: [rect(7, 3, 10, 18, 2), 'M11 17.5h2'],
  browser: [rect(3.5, 4.5, 17, 15, 2), 'M3.5 9h17M6.5 6.8h.1M8.8 6.8h.1'],
  robot: [rect(5, 8, 14, 11, 2.5), 'M12 4.5V8M9.5 12.5v1M14.5 12.5v1M9.5 16h5M3 12.5v3M21 12.5v3'],
} satisfies Record<string, Shape[]>;

export type IconName = keyof typeof shapes;

function draw(s: Shape, i: number) {
  if (typeof s === 'string') return <path key={i} d={s} />;
  if ('circle' in s) {
    const [cx, cy, r] = s.circle;
    return <circle key={i} cx={cx} cy={cy} r={r} />;
  }
  const [x, y, width, height, rx] = s.rect;
  return <rect key={i} x={x} y={y} width={width} height={height} rx={rx} />;
}

export function Icon({ name, size = 18, class: cls }: { name: IconName; size?: number; class?: string }) {
  return (
    <svg
      class={cls ? `icon ${cls}` : 'icon'}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="1.7"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {shapes[name].map(draw)}
    </svg>
  );
}
