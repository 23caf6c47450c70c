import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import '@xterm/xterm/css/xterm.css';
import './styles.css';
import { App } from './app.tsx';

render(<App />, document.getElementById('app')!);
