# ruff: noqa: E501 (the file is kept as the tool writes it: long lines)
"""A BPMN file as Camunda Modeler (5.x, Camunda 7 platform) saves it, written by hand.

It has what that tool writes: the camunda and modeler namespaces and
attributes, a collaboration with a pool, a lane, incoming/outgoing
references, labels in the diagram, and a few elements Waymark cannot carry
over (a script task, a boundary timer, a text annotation with its
association, a Camunda form).
"""

ORDER_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_0fr9mxs" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.17.0" modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.20.0">
  <bpmn:collaboration id="Collaboration_1k2j3h4">
    <bpmn:participant id="Participant_0v7t2qa" name="Shop" processRef="Process_Order" />
  </bpmn:collaboration>
  <bpmn:process id="Process_Order" name="Order fulfilment" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:documentation>From order to parcel.</bpmn:documentation>
    <bpmn:laneSet id="LaneSet_0y1b2c3">
      <bpmn:lane id="Lane_Sales" name="Sales">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Activity_Check</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1" name="Order received">
      <bpmn:outgoing>Flow_0a1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="Activity_Check" name="Check the order" camunda:assignee="${data.owner}" camunda:candidateGroups="sales, managers">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="ok" label="OK?" type="boolean" />
        </camunda:formData>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_0a1</bpmn:incoming>
      <bpmn:outgoing>Flow_0a2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="Gateway_Ok" name="Large?" default="Flow_Small">
      <bpmn:incoming>Flow_0a2</bpmn:incoming>
      <bpmn:outgoing>Flow_Small</bpmn:outgoing>
      <bpmn:outgoing>Flow_Big</bpmn:outgoing>
      <bpmn:outgoing>Flow_Vip</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="Flow_0a1" sourceRef="StartEvent_1" targetRef="Activity_Check" />
    <bpmn:sequenceFlow id="Flow_0a2" sourceRef="Activity_Check" targetRef="Gateway_Ok" />
    <bpmn:sequenceFlow id="Flow_Small" name="small" sourceRef="Gateway_Ok" targetRef="Gateway_Split" />
    <bpmn:sequenceFlow id="Flow_Big" name="big" sourceRef="Gateway_Ok" targetRef="Activity_Script">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${amount &gt; 1000}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_Vip" name="vip" sourceRef="Gateway_Ok" targetRef="Gateway_Split">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${data.vip == true and data.amount &gt;= 10}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:scriptTask id="Activity_Script" name="Score it" scriptFormat="groovy">
      <bpmn:incoming>Flow_Big</bpmn:incoming>
      <bpmn:outgoing>Flow_Script_End</bpmn:outgoing>
      <bpmn:script>println 'big'</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_Script_End" sourceRef="Activity_Script" targetRef="Event_Done" />
    <bpmn:parallelGateway id="Gateway_Split">
      <bpmn:incoming>Flow_Small</bpmn:incoming>
      <bpmn:incoming>Flow_Vip</bpmn:incoming>
      <bpmn:outgoing>Flow_1b1</bpmn:outgoing>
      <bpmn:outgoing>Flow_1b2</bpmn:outgoing>
      <bpmn:outgoing>Flow_1b3</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:serviceTask id="Activity_Reserve" name="Reserve stock" camunda:type="external" camunda:topic="shop.reserve">
      <bpmn:incoming>Flow_1b1</bpmn:incoming>
      <bpmn:outgoing>Flow_1c1</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:intermediateCatchEvent id="Event_Wait" name="Two hours">
      <bpmn:incoming>Flow_1b2</bpmn:incoming>
      <bpmn:outgoing>Flow_1c2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerEventDefinition_0x1">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT2H</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="Event_Paid" name="Payment received">
      <bpmn:incoming>Flow_1b3</bpmn:incoming>
      <bpmn:outgoing>Flow_1c3</bpmn:outgoing>
      <bpmn:messageEventDefinition id="MessageEventDefinition_0p1" messageRef="Message_Paid" />
    </bpmn:intermediateCatchEvent>
    <bpmn:parallelGateway id="Gateway_Join">
      <bpmn:incoming>Flow_1c1</bpmn:incoming>
      <bpmn:incoming>Flow_1c2</bpmn:incoming>
      <bpmn:incoming>Flow_1c3</bpmn:incoming>
      <bpmn:outgoing>Flow_1d1</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:callActivity id="Activity_Ship" name="Ship it" calledElement="Process_Shipping">
      <bpmn:incoming>Flow_1d1</bpmn:incoming>
      <bpmn:outgoing>Flow_1d2</bpmn:outgoing>
    </bpmn:callActivity>
    <bpmn:endEvent id="Event_Done" name="Shipped">
      <bpmn:incoming>Flow_1d2</bpmn:incoming>
      <bpmn:incoming>Flow_Script_End</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:boundaryEvent id="Event_Late" name="Late" attachedToRef="Activity_Check">
      <bpmn:timerEventDefinition id="TimerEventDefinition_0x2">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P1D</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="Flow_1b1" sourceRef="Gateway_Split" targetRef="Activity_Reserve" />
    <bpmn:sequenceFlow id="Flow_1b2" sourceRef="Gateway_Split" targetRef="Event_Wait" />
    <bpmn:sequenceFlow id="Flow_1b3" sourceRef="Gateway_Split" targetRef="Event_Paid" />
    <bpmn:sequenceFlow id="Flow_1c1" sourceRef="Activity_Reserve" targetRef="Gateway_Join" />
    <bpmn:sequenceFlow id="Flow_1c2" sourceRef="Event_Wait" targetRef="Gateway_Join" />
    <bpmn:sequenceFlow id="Flow_1c3" sourceRef="Event_Paid" targetRef="Gateway_Join" />
    <bpmn:sequenceFlow id="Flow_1d1" sourceRef="Gateway_Join" targetRef="Activity_Ship" />
    <bpmn:sequenceFlow id="Flow_1d2" sourceRef="Activity_Ship" targetRef="Event_Done" />
    <bpmn:textAnnotation id="TextAnnotation_0q1">
      <bpmn:text>Ask sales first</bpmn:text>
    </bpmn:textAnnotation>
    <bpmn:association id="Association_0r1" sourceRef="Activity_Check" targetRef="TextAnnotation_0q1" />
  </bpmn:process>
  <bpmn:message id="Message_Paid" name="payment.received" />
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Collaboration_1k2j3h4">
      <bpmndi:BPMNShape id="Participant_0v7t2qa_di" bpmnElement="Participant_0v7t2qa" isHorizontal="true">
        <dc:Bounds x="120" y="60" width="1100" height="420" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_Sales_di" bpmnElement="Lane_Sales" isHorizontal="true">
        <dc:Bounds x="150" y="60" width="1070" height="420" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="_BPMNShape_StartEvent_2" bpmnElement="StartEvent_1">
        <dc:Bounds x="182" y="202" width="36" height="36" />
        <bpmndi:BPMNLabel>
          <dc:Bounds x="163" y="245" width="75" height="14" />
        </bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Activity_Check_di" bpmnElement="Activity_Check">
        <dc:Bounds x="270" y="180" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Gateway_Ok_di" bpmnElement="Gateway_Ok" isMarkerVisible="true">
        <dc:Bounds x="425" y="195" width="50" height="50" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Activity_Script_di" bpmnElement="Activity_Script">
        <dc:Bounds x="530" y="360" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Gateway_Split_di" bpmnElement="Gateway_Split">
        <dc:Bounds x="535" y="195" width="50" height="50" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Activity_Reserve_di" bpmnElement="Activity_Reserve">
        <dc:Bounds x="640" y="80" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_Wait_di" bpmnElement="Event_Wait">
        <dc:Bounds x="672" y="202" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_Paid_di" bpmnElement="Event_Paid">
        <dc:Bounds x="672" y="292" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Gateway_Join_di" bpmnElement="Gateway_Join">
        <dc:Bounds x="795" y="195" width="50" height="50" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Activity_Ship_di" bpmnElement="Activity_Ship">
        <dc:Bounds x="900" y="180" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_Done_di" bpmnElement="Event_Done">
        <dc:Bounds x="1062" y="202" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="TextAnnotation_0q1_di" bpmnElement="TextAnnotation_0q1">
        <dc:Bounds x="270" y="90" width="100" height="30" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_Late_di" bpmnElement="Event_Late">
        <dc:Bounds x="302" y="242" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_0a1_di" bpmnElement="Flow_0a1">
        <di:waypoint x="218" y="220" />
        <di:waypoint x="270" y="220" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_0a2_di" bpmnElement="Flow_0a2">
        <di:waypoint x="370" y="220" />
        <di:waypoint x="425" y="220" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_Small_di" bpmnElement="Flow_Small">
        <di:waypoint x="475" y="220" />
        <di:waypoint x="535" y="220" />
        <bpmndi:BPMNLabel>
          <dc:Bounds x="491" y="202" width="28" height="14" />
        </bpmndi:BPMNLabel>
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_Big_di" bpmnElement="Flow_Big">
        <di:waypoint x="450" y="245" />
        <di:waypoint x="450" y="400" />
        <di:waypoint x="530" y="400" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_Vip_di" bpmnElement="Flow_Vip">
        <di:waypoint x="450" y="195" />
        <di:waypoint x="450" y="150" />
        <di:waypoint x="560" y="150" />
        <di:waypoint x="560" y="195" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_Script_End_di" bpmnElement="Flow_Script_End">
        <di:waypoint x="630" y="400" />
        <di:waypoint x="1080" y="400" />
        <di:waypoint x="1080" y="238" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1b1_di" bpmnElement="Flow_1b1">
        <di:waypoint x="560" y="195" />
        <di:waypoint x="560" y="120" />
        <di:waypoint x="640" y="120" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1b2_di" bpmnElement="Flow_1b2">
        <di:waypoint x="585" y="220" />
        <di:waypoint x="672" y="220" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1b3_di" bpmnElement="Flow_1b3">
        <di:waypoint x="560" y="245" />
        <di:waypoint x="560" y="310" />
        <di:waypoint x="672" y="310" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1c1_di" bpmnElement="Flow_1c1">
        <di:waypoint x="740" y="120" />
        <di:waypoint x="820" y="120" />
        <di:waypoint x="820" y="195" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1c2_di" bpmnElement="Flow_1c2">
        <di:waypoint x="708" y="220" />
        <di:waypoint x="795" y="220" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1c3_di" bpmnElement="Flow_1c3">
        <di:waypoint x="708" y="310" />
        <di:waypoint x="820" y="310" />
        <di:waypoint x="820" y="245" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1d1_di" bpmnElement="Flow_1d1">
        <di:waypoint x="845" y="220" />
        <di:waypoint x="900" y="220" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1d2_di" bpmnElement="Flow_1d2">
        <di:waypoint x="1000" y="220" />
        <di:waypoint x="1062" y="220" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Association_0r1_di" bpmnElement="Association_0r1">
        <di:waypoint x="320" y="180" />
        <di:waypoint x="320" y="120" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
