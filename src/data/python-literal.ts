// The Python-literal reader lives with the records (src/schema/), so the tool-file reader uses the same copy.
export { fromPythonRepr, PythonLiteralError, parsePythonLiteral } from '../schema/python-literal.js';
