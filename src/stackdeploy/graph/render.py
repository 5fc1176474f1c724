"""The dependency graph as DOT (Graphviz) or Mermaid text."""

from __future__ import annotations

import networkx as nx

from stackdeploy.model.stack import Stack


def to_dot(stack: Stack, graph: nx.DiGraph[str]) -> str:
    lines = [
        f'digraph "{stack.name}" {{',
        "  rankdir=LR;",
        '  node [shape=box, fontname="Helvetica"];',
    ]
    for node in sorted(graph.nodes):
        label = f"{node}\\n{stack.resources[node].type}"
        lines.append(f'  "{node}" [label="{label}"];')
    for source, target in sorted(graph.edges):
        lines.append(f'  "{source}" -> "{target}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(stack: Stack, graph: nx.DiGraph[str]) -> str:
    lines = ["flowchart LR"]
    for node in sorted(graph.nodes):
        lines.append(f'  {node}["{node}<br/><small>{stack.resources[node].type}</small>"]')
    for source, target in sorted(graph.edges):
        lines.append(f"  {source} --> {target}")
    return "\n".join(lines) + "\n"
